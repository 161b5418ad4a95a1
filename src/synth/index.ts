export * from './register.js';
export * from './labour.js';
export * from './startup.js';
export * from './studies.js';
