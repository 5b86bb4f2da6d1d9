import { defineConfig } from "vitest/config";

// The host serves the build from its wwwroot; hashed file names let it cache /assets for a year.
export default defineConfig({
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
});
