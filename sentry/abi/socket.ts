// Socket levels and options (x86-64 Linux), for the sentry's own sockets and the guests'.

export const SOL_SOCKET = 1;

/** SOL_SOCKET options. */
export const SO = { TYPE: 3, SNDBUF: 7, PEERCRED: 17, RCVTIMEO: 20, SNDTIMEO: 21 } as const;
