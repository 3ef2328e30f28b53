export * from './market';
export * from './socket-events';
