export { sessionkitStorage, type SessionDataFunctions, type SessionkitStorageOptions } from './session-storage.js';
