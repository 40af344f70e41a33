// Messages of the CI stores (github-actions, gitlab-ci): each names the target, the call and the
// variable that holds the token; and what GitLab refuses to hold (a value it cannot mask, a hidden variable).
import { EXIT } from './exit.js';
import { planArg, s, spec, type Text } from './spec.js';

interface Called {
  store: Text;
  vendor: Text;
  call: Text;
  tokenEnv: Text;
  status?: Text;
  said?: Text;
}

export const storeMessages = {
  'store-target-missing': spec<Called & { what: Text; fields: Text }>(EXIT.usage,
    (d) => `${s(d.store)}: ${s(d.vendor)} answered 404 to ${s(d.call)}: ${s(d.what)} does not exist, or the token in ${s(d.tokenEnv)} cannot see it`,
    (d) => `check ${s(d.fields)} in the plan, and that the token may read it: \`keyrot doctor ${planArg(d)}\``),
  'store-denied': spec<Called & { needs: Text }>(EXIT.provider,
    (d) => `${s(d.store)}: the token in ${s(d.tokenEnv)} may not ${s(d.call)} (${s(d.vendor)} answered ${s(d.status)}: ${s(d.said)})`,
    (d) => `give the token ${s(d.needs)}, then check it: \`keyrot doctor ${planArg(d)}\``),
  'store-rate-limited': spec<Called & { until: Text }>(EXIT.provider,
    (d) => `${s(d.store)}: ${s(d.vendor)}'s rate limit is used up until ${s(d.until)} (${s(d.call)} answered ${s(d.status)})`,
    (d) => `state was saved; re-run \`keyrot run ${planArg(d)}\` after ${s(d.until)}, or raise \`maxRetryWait\` in the plan to wait for it`),
  'store-value-unmaskable': spec<{ store: Text; reason: Text }>(EXIT.usage,
    (d) => `${s(d.store)}: GitLab would refuse to mask the value keyrot was about to write (${s(d.reason)}); nothing was written there`,
    (d) => `set \`masked: false\` on that target, or make the value 8 or more characters of A-Z a-z 0-9 _ + = / @ : . ~ - (its template, or the issuer's encoding), then re-run \`keyrot run ${planArg(d)}\``),
  'store-variable-hidden': spec<{ store: Text }>(EXIT.refused,
    (d) => `${s(d.store)} is a hidden variable: GitLab never returns its value, so keyrot could not read back what it publishes there; refusing to write it`,
    (d) => `delete it in GitLab (Settings > CI/CD > Variables) so keyrot creates it, or name another key in the plan; then \`keyrot run ${planArg(d)}\``),
};
