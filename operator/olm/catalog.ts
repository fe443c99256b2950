/**
 * The file-based catalog (olm.package, olm.channel, olm.bundle) that lists the bundle, as
 * `opm` reads it. A new release adds its bundle here and to the channel's entries (with
 * `replaces`); today there is one.
 */
import { iconBase64 } from "./icon.ts";
import {
  BUNDLE_IMAGE,
  CHANNEL,
  CSV_NAME,
  LISTING,
  PACKAGE,
  VERSION,
} from "./metadata.ts";
import type { CrdObject, RelatedImage } from "./csv.ts";

export function catalogDocuments(
  owned: readonly CrdObject[],
  relatedImages: readonly RelatedImage[],
): object[] {
  const gvks = owned.map((crd) => ({
    type: "olm.gvk",
    value: {
      group: crd.spec.group,
      kind: crd.spec.names.kind,
      version: (crd.spec.versions.find((v) => v.storage) ?? crd.spec.versions[0])?.name,
    },
  }));
  return [
    {
      schema: "olm.package",
      name: PACKAGE,
      defaultChannel: CHANNEL,
      description: LISTING.shortDescription,
      icon: { base64data: iconBase64(), mediatype: "image/svg+xml" },
    },
    { schema: "olm.channel", package: PACKAGE, name: CHANNEL, entries: [{ name: CSV_NAME }] },
    {
      schema: "olm.bundle",
      name: CSV_NAME,
      package: PACKAGE,
      image: BUNDLE_IMAGE,
      properties: [{ type: "olm.package", value: { packageName: PACKAGE, version: VERSION } }, ...gvks],
      relatedImages: [{ name: "", image: BUNDLE_IMAGE }, ...relatedImages],
    },
  ];
}
