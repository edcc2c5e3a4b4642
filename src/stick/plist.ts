/** A value from an XML property list, as `diskutil -plist` prints them. */
export type PlistValue = string | number | boolean | PlistValue[] | { [key: string]: PlistValue };

export class PlistParseError extends Error {
  constructor(reason: string) {
    super(`property list not understood: ${reason}`);
    this.name = 'PlistParseError';
  }
}

// Tags may carry attributes (`<plist version="1.0">`); a trailing slash makes them empty.
const TOKEN = /<(\/?)([a-zA-Z]+)(?:\s[^>]*?)?(\/?)>|([^<]+)/g;

/** Parses the XML plist subset diskutil uses (dict, array, key, string, integer, real, true, false, data, date). */
export function parsePlist(xml: string): PlistValue {
  const body = xml.replace(/<\?xml[^>]*\?>/, '').replace(/<!DOCTYPE[^>]*>/, '');
  const tokens: { close: boolean; name: string; empty: boolean; text: string | null }[] = [];
  for (const match of body.matchAll(TOKEN)) {
    if (match[4] !== undefined) {
      tokens.push({ close: false, name: '#text', empty: false, text: match[4] });
    } else {
      tokens.push({ close: match[1] === '/', name: match[2] ?? '', empty: match[3] === '/', text: null });
    }
  }
  let position = 0;
  const skipWhitespace = () => {
    while (tokens[position]?.name === '#text' && (tokens[position]?.text ?? '').trim() === '') position++;
  };
  const readText = (name: string): string => {
    let text = '';
    while (tokens[position]?.name === '#text') text += tokens[position++]?.text ?? '';
    const end = tokens[position++];
    if (end === undefined || !end.close || end.name !== name) throw new PlistParseError(`<${name}> not closed`);
    return decodeEntities(text);
  };
  const readValue = (): PlistValue => {
    skipWhitespace();
    const open = tokens[position++];
    if (open === undefined || open.close || open.name === '#text') throw new PlistParseError('a value was expected');
    switch (open.name) {
      case 'plist': {
        const value = readValue();
        skipWhitespace();
        position++;
        return value;
      }
      case 'dict': {
        const dict: { [key: string]: PlistValue } = {};
        if (open.empty) return dict;
        for (;;) {
          skipWhitespace();
          const next = tokens[position++];
          if (next?.close && next.name === 'dict') return dict;
          if (next?.name !== 'key' || next.close) throw new PlistParseError('<key> expected in <dict>');
          const key = readText('key');
          dict[key] = readValue();
        }
      }
      case 'array': {
        const array: PlistValue[] = [];
        if (open.empty) return array;
        for (;;) {
          skipWhitespace();
          if (tokens[position]?.close && tokens[position]?.name === 'array') {
            position++;
            return array;
          }
          array.push(readValue());
        }
      }
      case 'true':
      case 'false':
        if (!open.empty) readText(open.name);
        return open.name === 'true';
      case 'integer':
      case 'real': {
        const text = open.empty ? '0' : readText(open.name).trim();
        const number = Number(text);
        if (!Number.isFinite(number)) throw new PlistParseError(`<${open.name}>${text}</${open.name}> is not a number`);
        return number;
      }
      case 'string':
      case 'data':
      case 'date':
        return open.empty ? '' : readText(open.name);
      default:
        throw new PlistParseError(`unknown element <${open.name}>`);
    }
  };
  return readValue();
}

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (_all, entity: string) => {
    if (entity.startsWith('#x')) return String.fromCodePoint(Number.parseInt(entity.slice(2), 16));
    if (entity.startsWith('#')) return String.fromCodePoint(Number.parseInt(entity.slice(1), 10));
    return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[entity] ?? '';
  });
}
