/**
 * Counts frames in a byte stream of 4-byte big-endian length-prefixed frames (the framing of the
 * cluster store's replication links: `length`, then that many bytes of signature and payload),
 * fed chunk by chunk as TCP delivers them, so a frame split over chunks or several frames in
 * one chunk are each counted once.
 */
export class FrameCounter {
  #frames = 0;
  /** Bytes of the current frame still to skip. */
  #remaining = 0;
  /** Header bytes of the next frame received so far (a header can be split over chunks). */
  #header = Buffer.alloc(0);

  get frames(): number {
    return this.#frames;
  }

  push(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.#remaining > 0) {
        const skip = Math.min(this.#remaining, chunk.length - offset);
        this.#remaining -= skip;
        offset += skip;
        continue;
      }
      const take = Math.min(4 - this.#header.length, chunk.length - offset);
      this.#header = Buffer.concat([this.#header, chunk.subarray(offset, offset + take)]);
      offset += take;
      if (this.#header.length === 4) {
        this.#remaining = this.#header.readUInt32BE(0);
        this.#header = Buffer.alloc(0);
        this.#frames += 1;
      }
    }
  }
}
