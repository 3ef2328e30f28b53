export * from './market';
export * from './socket-events';
export * from './compact-ticks';
