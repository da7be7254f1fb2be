// Importing the store packages registers their URL schemes with createStore (as the sessionkit
// entry point does); imported here directly so the CLI bundle shares no chunk with that entry.
import '@sessionkit/memory';
import '@sessionkit/redis';
import '@sessionkit/sql';
import '@sessionkit/cluster';
