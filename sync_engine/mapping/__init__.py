"""Field mapping: transforms between raw JIRA and Bitrix24 values, and profile validation."""
