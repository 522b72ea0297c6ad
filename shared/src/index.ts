export * from './errors.js';
export * from './money.js';
export * from './schemas.js';
export * from './stripe-metadata.js';
export * from './ipc.js';
