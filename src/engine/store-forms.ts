// The forms of `keyrot init --store`, for the CLI's help (which loads before any command runs).
export { STORE_FORMS } from '../plan/store-forms.js';
