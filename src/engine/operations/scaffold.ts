// keyrot init and keyrot schema: a plan to start from, and the schema every plan is checked against.
export { PRESET_LIST, SCAFFOLD_ISSUERS, STORE_FORMS, scaffoldPlan, type ScaffoldIssuer, type ScaffoldOptions } from '../../plan/scaffold.js';
export { planJsonSchema } from '../../plan/schema.js';
