// createSessionStorage data functions for React Router / Remix; a separate entry.
export * from '@sessionkit/react-router';
