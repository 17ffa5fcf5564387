/**
 * A header stanza: its arguments and its body. The same shape as typage's Stanza (recipients
 * and identities pass them through typage's interfaces), defined here so that reading and
 * writing headers does not load typage.
 */
export class Stanza {
  constructor(
    readonly args: string[],
    readonly body: Uint8Array,
  ) {}
}
