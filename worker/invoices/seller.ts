// The seller named on every invoice and credit note: legal name, address, tax id and payment
// instructions, from configuration (wrangler.toml [vars], docs/billing.md "Documents"). Unset or
// empty variables fall back to development placeholders that say so, so a local document is never
// mistaken for a real one.
import type { Env } from "../env.ts";

export interface SellerDetails {
  legalName: string;
  /** Postal address, one entry per printed line. */
  address: string[];
  taxId: string;
  /** Bank / remittance text, one entry per printed line. */
  paymentInstructions: string[];
}

export const DEV_SELLER: SellerDetails = {
  legalName: "SecureBase, Inc. (development)",
  address: ["1 Example Way", "Arlington, VA 22201", "United States"],
  taxId: "EIN 00-0000000 (development)",
  paymentInstructions: ["Development invoice: do not pay."],
};

type SellerVars = Pick<Env, "SELLER_LEGAL_NAME" | "SELLER_ADDRESS" | "SELLER_TAX_ID" | "SELLER_PAYMENT_INSTRUCTIONS">;

/** Lines of a multi-line variable: newlines (or " | " in a one-line value) separate them. */
const lines = (value: string | undefined) =>
  (value ?? "")
    .split(/\n| \| /)
    .map((l) => l.trim())
    .filter(Boolean);

export function sellerDetails(env: Partial<SellerVars>): SellerDetails {
  const address = lines(env.SELLER_ADDRESS);
  const instructions = lines(env.SELLER_PAYMENT_INSTRUCTIONS);
  return {
    legalName: env.SELLER_LEGAL_NAME?.trim() || DEV_SELLER.legalName,
    address: address.length ? address : DEV_SELLER.address,
    taxId: env.SELLER_TAX_ID?.trim() || DEV_SELLER.taxId,
    paymentInstructions: instructions.length ? instructions : DEV_SELLER.paymentInstructions,
  };
}
