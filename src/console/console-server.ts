import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { CentralQueries } from '../central/central-store.js';
import { type TokenCheck, presentedToken } from './console-access.js';
import type { LiveProcessing } from './console-live.js';
import { addDays, daysBetween, findGaps, loadDay, loadGrid } from './console-queries.js';
import { renderCsv, renderDay, renderGrid, renderMessage } from './console-pages.js';
import { type Lang, pickLang, text } from './console-text.js';

export interface ConsoleServerOptions {
  store: CentralQueries;
  /** How the central journal was named on the command line, for the reconcile commands the page suggests. */
  central: string;
  live: LiveProcessing;
  /** Null on loopback: then the machine's own users are trusted, as with the journal file itself. */
  checkToken: TokenCheck | null;
  staleDays: number;
  now?: () => Date;
}

const Day = z
  .string()
  .transform((s) => s.replace(/-/g, ''))
  .pipe(z.string().regex(/^\d{8}$/));

const GridQuery = z.object({
  from: Day.optional(),
  to: Day.optional(),
  register: z.union([z.string(), z.array(z.string())]).optional(),
  lang: z.string().optional(),
  stale: z.coerce.number().int().min(1).max(3650).optional(),
});

/** Longest range the grid draws: a year, so a mistyped range cannot make the page enormous. */
const MAX_DAYS = 366;

function localDay(d: Date): string {
  return `${d.getFullYear()}${String(d.getMonth() + 1).padStart(2, '0')}${String(d.getDate()).padStart(2, '0')}`;
}

function langOf(req: FastifyRequest): Lang {
  return pickLang((req.query as { lang?: string } | undefined)?.lang, req.headers['accept-language']);
}

export function buildConsoleServer(o: ConsoleServerOptions): FastifyInstance {
  const now = o.now ?? (() => new Date());
  // Open event streams must not keep the program alive after Ctrl-C.
  const app = Fastify({ logger: false, forceCloseConnections: true });

  if (o.checkToken) {
    const check = o.checkToken;
    app.addHook('onRequest', async (req, reply) => {
      const token = presentedToken(req.headers.authorization);
      if (token === null || !(await check(token))) {
        const lang = langOf(req);
        return reply
          .code(401)
          .header('www-authenticate', 'Basic realm="daystick head office", charset="UTF-8"')
          .type('text/html; charset=utf-8')
          .send(renderMessage(lang, text(lang, 'accessNeeded')));
      }
    });
  }

  const gridArgs = (req: FastifyRequest) => {
    const parsed = GridQuery.safeParse(req.query);
    if (!parsed.success) return null;
    const today = localDay(now());
    const to = parsed.data.to ?? today;
    const from = parsed.data.from ?? addDays(to, -13);
    if (from > to || daysBetween(from, to).length > MAX_DAYS) return null;
    const registers = [parsed.data.register ?? []].flat().flatMap((s) => s.split(/[\s,]+/)).filter((s) => s !== '');
    return { from, to, today, registers, staleDays: parsed.data.stale ?? 2 };
  };

  /**
   * The last few grids with their gaps, each under the journal's fingerprint
   * when it was read, so a page asked again meanwhile is answered without
   * reading a year again. The console never writes; an import adds a package
   * (count, latest import), a reconcile adds receipts without one, which
   * receipt_number_days counts (the receipt numbers the gaps are found from),
   * and quarantine is counted for both. Refusals live in memory; their count
   * is part of the key.
   */
  const gridCache = new Map<string, { grid: Awaited<ReturnType<typeof loadGrid>>; gaps: Awaited<ReturnType<typeof findGaps>> }>();
  const GRIDS_KEPT = 8;
  const gridAndGaps = async (a: NonNullable<ReturnType<typeof gridArgs>>) => {
    const [f] = await o.store.all<Record<string, number | string | null>>(
      `SELECT (SELECT COUNT(*) FROM packages) AS packages, (SELECT MAX(imported_at) FROM packages) AS last_import,
              (SELECT SUM(numbers) FROM receipt_number_days) AS receipt_numbers, (SELECT COUNT(*) FROM receipt_number_days) AS receipt_days,
              (SELECT COUNT(*) FROM quarantined_records) AS quarantined`,
    );
    const journal = f ? Object.values(f).map((v) => (v === null ? null : String(v))) : [];
    const key = JSON.stringify([journal, o.live.refusals.length, a.from, a.to, a.today, a.registers]);
    const hit = gridCache.get(key);
    if (hit) return hit;
    const grid = await loadGrid(o.store, { ...a, refusals: o.live.refusals });
    const gaps = await findGaps(o.store, { registers: a.registers, from: a.from, to: a.to });
    if (gridCache.size >= GRIDS_KEPT) gridCache.delete(gridCache.keys().next().value!);
    gridCache.set(key, { grid, gaps });
    return { grid, gaps };
  };

  app.get('/', async (req, reply) => {
    const lang = langOf(req);
    const a = gridArgs(req);
    reply.type('text/html; charset=utf-8');
    if (!a) return reply.code(400).send(renderMessage(lang, text(lang, 'badRange')));
    const { grid, gaps } = await gridAndGaps(a);
    const query = new URLSearchParams({ from: a.from, to: a.to, lang, ...(a.registers.length ? { register: a.registers.join(' ') } : {}) }).toString();
    return renderGrid({ lang, ...a, now: now(), days: grid.days, rows: grid.rows, gaps, central: o.central, query });
  });

  app.get('/grid.csv', async (req, reply) => {
    const a = gridArgs(req);
    if (!a) return reply.code(400).type('text/plain; charset=utf-8').send('bad range: from and to as YYYYMMDD or YYYY-MM-DD, from not after to, at most 366 days\n');
    const { grid } = await gridAndGaps(a);
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="daystick-grid-${a.from}-${a.to}.csv"`)
      .send(renderCsv(grid.days, grid.rows));
  });

  app.get('/day/:register/:day', async (req, reply) => {
    const lang = langOf(req);
    const params = z.object({ register: z.string().regex(/^[^-]+-.+$/), day: Day }).safeParse(req.params);
    reply.type('text/html; charset=utf-8');
    if (!params.success) return reply.code(404).send(renderMessage(lang, text(lang, 'notFound')));
    const [customerNumber, ...rest] = params.data.register.split('-');
    const registerId = rest.join('-');
    const detail = await loadDay(o.store, { customerNumber: customerNumber!, registerId }, params.data.day);
    return renderDay(lang, params.data.register, params.data.day, detail, o.live.sticks);
  });

  app.get('/events', (req, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' });
    res.write(': daystick processing list\n\n');
    const unsubscribe = o.live.subscribe((e) => {
      res.write(`event: ${e.type}\ndata: ${JSON.stringify(e.data)}\n\n`);
    });
    req.raw.on('close', unsubscribe);
  });

  // Read-only by construction: no route takes a write, and every other method says so.
  app.route({
    method: ['POST', 'PUT', 'DELETE', 'PATCH'],
    url: '/*',
    handler: async (req, reply) => {
      const lang = langOf(req);
      return reply.code(405).header('allow', 'GET, HEAD').type('text/html; charset=utf-8').send(renderMessage(lang, text(lang, 'readOnly')));
    },
  });
  app.setNotFoundHandler(async (req, reply) => {
    const lang = langOf(req);
    return reply.code(404).type('text/html; charset=utf-8').send(renderMessage(lang, text(lang, 'notFound')));
  });
  return app;
}
