// One build for every stage: the page reads ./config.json at start-up.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { defineConfig } from "vite";

function files(dir, root = dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path, root) : [relative(root, path).split("\\").join("/")];
  });
}

/**
 * The service worker (public/sw.js) learns this build's app shell: the list of files
 * to cache (the page, every emitted asset, the manifest and icons) and a version made
 * from their contents, so a new build is a new worker with a new cache.
 */
function serviceWorkerShell() {
  let outDir = "dist";
  return {
    name: "service-worker-shell",
    apply: "build",
    configResolved(config) {
      outDir = config.build.outDir.startsWith("/") ? config.build.outDir : join(config.root, config.build.outDir);
    },
    closeBundle() {
      const shell = files(outDir).filter((path) => path !== "sw.js" && path !== "config.json" && path !== "index.html");
      const hash = createHash("sha256");
      for (const path of ["index.html", ...shell].sort()) hash.update(path).update(readFileSync(join(outDir, path)));
      const version = hash.digest("hex").slice(0, 16);
      const worker = join(outDir, "sw.js");
      const source = readFileSync(worker, "utf8");
      const built = source
        .replace('"__VERSION__"', JSON.stringify(version))
        .replace("[/*__SHELL__*/]", JSON.stringify(["./", ...shell.sort()]));
      if (built === source || built.includes("__VERSION__") || built.includes("__SHELL__")) {
        throw new Error("sw.js: the VERSION and SHELL placeholders were not found");
      }
      writeFileSync(worker, built);
    },
  };
}

export default defineConfig({
  base: "./",
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  plugins: [serviceWorkerShell()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    reportCompressedSize: true,
  },
});
