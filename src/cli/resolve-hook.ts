// Module resolution hook (node:module register) of the supervisor: `import ... from 'sysvisor'` in
// an engine module resolves to the running sysvisor's own copy, wherever the module lives and
// whatever copy its own folder would find. Runs on Node's hooks thread; `initialize` gets the URL.
let index = '';

export function initialize(data: { index: string }): void {
  index = data.index;
}

type Next = (specifier: string, context: unknown) => Promise<{ url: string }>;

export async function resolve(specifier: string, context: unknown, next: Next): Promise<{ url: string; shortCircuit?: boolean }> {
  if (specifier === 'sysvisor') return { url: index, shortCircuit: true };
  return next(specifier, context);
}
