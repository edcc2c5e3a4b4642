// The generator lives in src/bench so that `npm run bench` (compiled from src/ only) can use it too.
export {
  createSyntheticJournal,
  type SyntheticDayCounts,
  type SyntheticDaySpec,
  type SyntheticJournal,
  type SyntheticJournalOptions,
} from '../../src/bench/synthetic-journal.js';
