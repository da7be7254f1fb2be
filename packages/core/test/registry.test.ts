import { describe, expect, it } from 'vitest';
import { createStore, redactUrl, registerStore, registeredSchemes, type SessionStore } from '../src/index.js';

describe('createStore', () => {
  it('names the known schemes when the scheme is unknown', () => {
    registerStore(['test-scheme'], () => ({ name: 'test' }) as SessionStore, 'test-scheme://x');
    expect(() => createStore('nosuch://host')).toThrow(
      /No session store is registered for "nosuch:".*test-scheme: \(test-scheme:\/\/x\)/,
    );
    expect(() => createStore('nosuch://host')).toThrow(expect.objectContaining({ code: 'ERR_STORE_CONFIG' }));
  });

  it('does not print passwords from the URL', () => {
    expect(() => createStore('nosuch://user:hunter2@host')).toThrow(/\*\*\*/);
    expect(() => createStore('nosuch://user:hunter2@host')).not.toThrow(/hunter2/);
  });

  it('redacts the password of a URL that does not parse, and of password parameters', () => {
    // port 99999 makes the URL invalid: exactly the message that used to quote the raw text
    for (const url of [
      'redis://u:S3cr3tPW@127.0.0.1:99999',
      'postgres://app:S3cr3tPW@db:99999/x',
      'mysql://root:S3cr3tPW@h:99999/db',
    ]) {
      expect(() => createStore(url)).toThrow(/\*\*\*/);
      expect(() => createStore(url)).not.toThrow(/S3cr3tPW/);
    }
    expect(redactUrl('redis+sentinel://:S3cr3tPW@h1:1,h2:2/m?sentinelPassword=S3cr3tPW&db=1')).toBe(
      'redis+sentinel://:***@h1:1,h2:2/m?sentinelPassword=***&db=1',
    );
  });

  it('hands a host list to the factory as raw text, and the URL of its first host', () => {
    let seen: [string, string, string] | undefined;
    registerStore(
      ['multi'],
      (url, _options, raw) => {
        seen = [url.host, url.pathname, raw];
        return { name: 'multi' } as SessionStore;
      },
      'multi://a:1,b:2/name',
    );
    createStore('multi://user:pw@a:1,b:2/mymaster');
    expect(seen).toEqual(['a:1', '/mymaster', 'multi://user:pw@a:1,b:2/mymaster']);
  });

  it('explains a URL that does not parse', () => {
    expect(() => createStore('not a url')).toThrow(/does not parse/);
  });

  it('passes the parsed URL and options to the factory, case-insensitive scheme', () => {
    let seen: [string, unknown] | undefined;
    registerStore(
      ['Echo'],
      (url, options) => {
        seen = [url.host, options['extra']];
        return { name: 'echo' } as SessionStore;
      },
      'echo://host',
    );
    expect(createStore('ECHO://somewhere', { extra: 1 }).name).toBe('echo');
    expect(seen).toEqual(['somewhere', 1]);
    expect(registeredSchemes().map((s) => s.scheme)).toContain('echo');
  });
});
