// A credential may cross the network in clear only to this machine: http:// is for a loopback address
// (a test server, a local proxy), https:// for everything else.
const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/** Whether a URL may carry a credential: https, or http to a loopback address. */
export const safeForCredentials = (url: string): boolean => {
  const { protocol, hostname } = new URL(url);
  return protocol === 'https:' || (protocol === 'http:' && LOOPBACK.test(hostname));
};

export const CLEARTEXT_REFUSED = 'http:// only for a loopback address (127.0.0.1, localhost): the credential would cross the network in clear; use https://';
