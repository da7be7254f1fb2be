// Sticky routing and the load balancer; a separate entry so apps that do not route load nothing of it.
export * from '@sessionkit/sticky';
