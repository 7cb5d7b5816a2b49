// Judges a batch of IAM requests with @cloud-copilot/iam-simulate (a test-only devDependency, AGPL:
// never part of a Lambda asset or the CDK app). One process per batch: stdin is a JSON array of
// simulations as the library takes them ({request, identityPolicies, resourcePolicy, ...}); stdout
// is a JSON array of verdicts in the same order:
//   {result: "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied" | "Error",
//    ignoredContextKeys: [...], errors: <validation errors>, denials: [...], grants: [...]}
// A key the simulator ignored (not a condition key of the action) is reported, not dropped: the caller
// treats it as a failure, since a policy condition on it would never be evaluated.
import { getDenialReasons, getGrantReasons, runSimulation } from '@cloud-copilot/iam-simulate'

async function readStdin() {
  const chunks = []
  for await (const chunk of process.stdin) chunks.push(chunk)
  return Buffer.concat(chunks).toString('utf8')
}

async function judge(simulation) {
  const response = await runSimulation(
    { serviceControlPolicies: [], resourceControlPolicies: [], ...simulation },
    { simulationMode: 'Strict' }
  )
  if (response.resultType === 'error') {
    return { result: 'Error', errors: response.errors, ignoredContextKeys: [], denials: [], grants: [] }
  }
  const results = response.resultType === 'single' ? [response.result] : response.results
  const ignored = [...new Set(results.flatMap((result) => result.ignoredContextKeys ?? []))]
  const analyses = results.map((result) => result.analysis)
  return {
    result: response.overallResult,
    ignoredContextKeys: ignored,
    resourceTypes: results.map((result) => result.resourceType ?? null),
    denials: analyses.flatMap((analysis) => (analysis.result === 'Allowed' ? [] : getDenialReasons(analysis))),
    grants: analyses.flatMap((analysis) => (analysis.result === 'Allowed' ? getGrantReasons(analysis) : []))
  }
}

const simulations = JSON.parse(await readStdin())
const verdicts = []
for (const simulation of simulations) {
  try {
    verdicts.push(await judge(simulation))
  } catch (error) {
    verdicts.push({ result: 'Error', errors: { message: String(error?.stack ?? error) }, ignoredContextKeys: [], denials: [], grants: [] })
  }
}
process.stdout.write(JSON.stringify(verdicts))
