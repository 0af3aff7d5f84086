import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

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
);
