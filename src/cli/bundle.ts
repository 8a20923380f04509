// The entry of the command's bundle (scripts/bundle.mjs): the CLI, and the API that engine modules
// get for `import 'sysvisor'`, initialized only when one asks for it (dist/bundle/api.mjs).
export { main } from './main.js';
export { useImporter } from './modules.js';
export const api = (): Promise<typeof import('../index.js')> => import('../index.js');
