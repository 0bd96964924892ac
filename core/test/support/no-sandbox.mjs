// Loaded with `node --import`: any module of the sandbox workspace (@prokip-sync/sandbox, or a
// file under sandbox/) that the process resolves makes the import fail, naming who asked.
import { registerHooks } from "node:module";

registerHooks({
  resolve(specifier, context, nextResolve) {
    const resolved = nextResolve(specifier, context);
    if (/\/sandbox\/src\//u.test(resolved.url))
      throw new Error(`the sandbox was imported: ${specifier} from ${context.parentURL ?? "the command line"}`);
    return resolved;
  },
});
