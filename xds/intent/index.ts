export * from './common';
export * from './destination-rule';
export * from './duration';
export * from './gateway';
export * from './kinds';
export * from './service-entry';
export type * from './types';
export * from './virtual-service';
