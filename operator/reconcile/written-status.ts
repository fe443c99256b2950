/**
 * The status stored now, when the cache may lag behind our own status write. The cache can
 * still hold the version our last write replaced (its watch event is on its way, and a
 * loaded machine delays it): then what is stored is what we wrote, and comparing with the
 * cache would write the same status again, a second transition time and a second event
 * among it. (A lag of more than one of our writes is not covered: such a write is a no-op
 * at the API server.)
 */
import type { MeshConfigStatus } from "../api/mesh-config-status.ts";
import type { MeshConfigObject } from "./mesh-config-object.ts";

export class WrittenStatus {
  private last: { uid: string; replaced: string; status: MeshConfigStatus } | undefined;

  /** We wrote `status` over the version of `mc` we read. */
  wrote(mc: MeshConfigObject, status: MeshConfigStatus): void {
    const { uid, resourceVersion } = mc.metadata;
    this.last = uid && resourceVersion ? { uid, replaced: resourceVersion, status } : undefined;
  }

  /** The status stored for `mc` as the cache gave it. */
  storedFor(mc: MeshConfigObject): MeshConfigObject["status"] {
    const last = this.last;
    const lagging = last?.uid === mc.metadata.uid && last.replaced === mc.metadata.resourceVersion;
    return lagging ? last.status : mc.status;
  }
}
