import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { OrgLedger } from "../aws/org-ledger";
import { createDocumentClient } from "../aws/store";
import { ORG_ENVIRONMENT } from "./environment";
import { recordOrgEvent } from "./org-record";
import { RuntimeConfigError } from "./runtime";

/**
 * Lambda entry of the central recorder (a target of the central bus's rule): keeps the ledger of active
 * organization bans that members catch up from.
 */
const tableName = process.env[ORG_ENVIRONMENT.ledgerTable]?.trim();
if (!tableName) {
  throw new RuntimeConfigError(
    `${ORG_ENVIRONMENT.ledgerTable} is not set: it must name the central ledger table`,
  );
}
const ledger = new OrgLedger(createDocumentClient(new DynamoDBClient({})), tableName);

export const handler = async (event: unknown) => recordOrgEvent(ledger, event, Date.now());
