// fleetlab: the package's main entry, everything that runs in a browser and in Node alike (plans,
// fabrics, the pricers and the runner). Node's GPU and shader loader are in fleetlab/node.
export * from './fabric.ts';
export * from './model.ts';
export * from './plans.ts';
export * from './run.ts';
