// Lets Node run the client's modules as Vite and tsc read them: a relative import
// without an extension ("./store") is the `.ts` file beside it. Node strips the types
// itself (no build step, no dependency); `npm run test:unit` loads this first.
import { registerHooks } from "node:module";

const RELATIVE = /^\.{1,2}\//;
const HAS_EXTENSION = /\.[cm]?[jt]sx?$/;

registerHooks({
  resolve(specifier, context, nextResolve) {
    if (RELATIVE.test(specifier) && !HAS_EXTENSION.test(specifier)) {
      return nextResolve(`${specifier}.ts`, context);
    }
    return nextResolve(specifier, context);
  },
});
