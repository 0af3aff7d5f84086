import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import pluginVue from 'eslint-plugin-vue';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'web/src/graphql/generated/**', 'test-output/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-properties': 'off',
    },
  },
  {
    files: ['api/src/engine/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['@mikro-orm/*', 'graphql', 'type-graphql', 'node:*', '../config*', '../modules/*'] }],
      'no-restricted-globals': ['error', 'process', 'Date', 'setTimeout', 'setInterval', 'performance'],
    },
  },
  {
    files: ['api/src/engine/**/*.test.ts'],
    rules: { 'no-restricted-globals': 'off' },
  },
  // Web client: Vue single-file components (TypeScript in <script setup>), browser globals.
  ...pluginVue.configs['flat/recommended'].map((c) => ({ ...c, files: ['web/**/*.vue'] })),
  {
    files: ['web/**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.vue'], sourceType: 'module' } },
    // Formatting is not linted (as for the .ts files); keep the rules about correctness and a11y-relevant markup.
    rules: { ...pluginVue.configs['no-layout-rules'].rules },
  },
  {
    files: ['web/src/**/*.{ts,vue}'],
    languageOptions: { globals: { ...globals.browser } },
  },
);
