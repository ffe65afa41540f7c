/** Tests start the same embedded DynamoDB (dynalite, with cloudjail's table) that the local demo runs on. */
export * from "../../bin/local/dynalite";
