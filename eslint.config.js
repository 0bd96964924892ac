// One lint configuration for every workspace: typescript-eslint's recommended rules, React's
// hooks rules for the Shopify app (and later the plugin's admin app), Prettier owning layout.
import js from "@eslint/js";
import reactHooks from "eslint-plugin-react-hooks";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "**/node_modules/",
      "**/build/",
      "**/dist/",
      ".cache/",
      ".data/",
      "core/src/store/generated/",
      "bench-results/",
      "test-results/",
      "**/test-results/",
    ],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    // Node everywhere but in the sandbox's browser scripts (below).
    ignores: ["sandbox/src/web/**/*.js"],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    rules: {
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" },
      ],
    },
  },
  {
    files: ["shopify-app/app/**/*.{ts,tsx}", "woo-plugin/src/**/*.{ts,tsx}"],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { "react-hooks": reactHooks },
    rules: reactHooks.configs.recommended.rules,
  },
  {
    // The sandbox pages' scripts: classic browser scripts inlined in (or served to) a page, no modules.
    files: ["sandbox/src/web/**/*.js"],
    languageOptions: { sourceType: "script", globals: { ...globals.browser } },
  },
);
