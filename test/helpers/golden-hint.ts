// Loaded before every test file (vitest.config.ts setupFiles): a golden file that differs says how
// to accept the change, whichever test compares it.
import { chai } from 'vitest';

export const GOLDEN_HINT =
  'the output differs from its golden file. If the change is intended (a model added or edited, a new SQL spelling), ' +
  'accept it with `npm run test:update-goldens` (the same as `npm test -- -u`) and review the diff with git';

for (const name of ['toMatchFileSnapshot', 'toMatchSnapshot']) {
  chai.util.overwriteMethod(chai.Assertion.prototype, name, (original: (...args: unknown[]) => unknown) =>
    function (this: object, ...args: unknown[]) {
      if (!chai.util.flag(this, 'message')) chai.util.flag(this, 'message', GOLDEN_HINT);
      return original.apply(this, args);
    },
  );
}
