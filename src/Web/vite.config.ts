import { loadEnv } from "vite";
import { defineConfig } from "vitest/config";

// The host serves the build from its wwwroot; hashed file names let it cache /assets for a year.
// TELEMEDICINA_ASSETS_BASE (e.g. https://cdn.example.org/) builds for a CDN instead: index.html then
// loads the hashed bundles from there (deploy/web/publish-assets.sh uploads them; the host is told
// the same URL through Web__AssetsBaseUrl so its Content-Security-Policy allows that origin).
// Unset: "/" (the host serves everything), which is what `npm run build` and the tests use.
function assetsBase(value: string | undefined): string {
  const base = value?.trim();
  if (!base) {
    return "/";
  }
  if (!/^https?:\/\/[^/?#]+(\/[^?#]*)?$/.test(base)) {
    throw new Error(`TELEMEDICINA_ASSETS_BASE must be an absolute http(s) URL without query or fragment, got "${base}"`);
  }
  return base.endsWith("/") ? base : `${base}/`;
}

export default defineConfig(({ mode }) => ({
  // loadEnv reads the process environment (and .env files) for TELEMEDICINA_* names.
  base: assetsBase(loadEnv(mode, ".", "TELEMEDICINA_").TELEMEDICINA_ASSETS_BASE),
  build: {
    outDir: "../Host/Telemedicina.Host/wwwroot",
    emptyOutDir: true,
    sourcemap: false,
    target: "es2022",
  },
  test: {
    environment: "node",
    include: ["src/**/*.test.ts"],
  },
}));
