// Type-checked lint. Strictness lives here, not in review (STYLE.md).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "bin/**", "coverage/**", "generators/**", "eslint.config.js", "vitest.config.ts"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
    },
  },
  {
    // The core is pure: no filesystem, no process, no UI, no clock.
    files: ["src/core/**"],
    rules: {
      "no-restricted-imports": ["error", { patterns: ["node:*", "fs", "path", "ink", "react", "../*/**", "!../core/**"] }],
      "no-restricted-globals": ["error", "process", "Date", "setTimeout"],
      "no-restricted-properties": ["error", { object: "Math", property: "random" }, { object: "Date", property: "now" }],
    },
  },
  {
    // Nothing imports the shell.
    files: ["src/**"],
    ignores: ["src/cli/**", "src/ui/**"],
    rules: { "no-restricted-imports": ["error", { patterns: ["**/cli/**", "**/ui/**"] }] },
  },
  {
    files: ["test/**", "bench/**"],
    rules: {
      "@typescript-eslint/no-non-null-assertion": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
    },
  },
);
