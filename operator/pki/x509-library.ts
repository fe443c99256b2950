/**
 * The one place that loads @peculiar/x509, so every pki file gets it configured the same.
 *
 * node:crypto can parse and verify certificates but cannot create them; @peculiar/x509
 * builds them on top of WebCrypto. Import order matters: the Reflect shim must run before
 * the library evaluates (ES modules evaluate their imports in the order written).
 */
import "./reflect-metadata-shim.ts";
import * as x509 from "@peculiar/x509";
import { webcrypto } from "node:crypto";

// Use Node's own WebCrypto explicitly rather than whatever global the library finds.
x509.cryptoProvider.set(webcrypto);

export { x509 };
