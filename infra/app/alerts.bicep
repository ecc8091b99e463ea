// Alert on the upgrade failure rate: a log search rule over the processor's custom metric
// swupgrade.processor.settled (dimension result = succeeded | failed) in Application Insights. It fires when
// failed / (succeeded + failed) within the window exceeds the threshold and at least the minimum number of sub-tasks
// settled, the same rule and values the app applies per task (Upgrades__FailureRateThreshold, __FailureRateMinSettled).
// An action group e-mails the operator when an address is given; without one the rule only shows in Azure Monitor.
@description('Name of the alert rule.')
param name string

@description('Name of the action group (created only with alertEmail).')
param actionGroupName string

@description('Azure region (the region of the Application Insights component).')
param location string

@description('Tags for the resources.')
param tags object = {}

@description('Name of the Application Insights component the processor reports to.')
param applicationInsightsName string

@description('Failure rate (decimal between 0 and 1) above which the rule fires.')
param failureRateThreshold string

@description('Settled sub-tasks within the window needed before the rule may fire.')
@minValue(1)
param failureRateMinSettled int

@description('Window the failure rate is computed over (ISO 8601 duration).')
param windowSize string = 'PT1H'

@description('How often the rule runs (ISO 8601 duration, at most windowSize).')
param evaluationFrequency string = 'PT15M'

@description('E-mail address notified when the rule fires. Empty: no action group, the rule has no actions.')
param alertEmail string = ''

var notify = !empty(alertEmail)

// valueSum: the metric is a counter, so each pre-aggregated row carries the number of settled sub-tasks it covers.
var query = '''
customMetrics
| where name == "swupgrade.processor.settled"
| extend result = tostring(customDimensions["result"])
| summarize failed = sumif(valueSum, result == "failed"), settled = sumif(valueSum, result in ("succeeded", "failed"))
| where settled >= {0}
| project failureRate = todouble(failed) / settled, failed, settled
'''

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = if (notify) {
  name: actionGroupName
  location: 'global'
  tags: tags
  properties: {
    enabled: true
    groupShortName: 'swupgrade'
    emailReceivers: [
      {
        name: 'operator'
        emailAddress: alertEmail
        useCommonAlertSchema: true
      }
    ]
  }
}

resource failureRateRule 'Microsoft.Insights/scheduledQueryRules@2026-03-01' = {
  name: name
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'SwUpgradeFunc: upgrade failure rate above ${failureRateThreshold}'
    description: 'failed / (succeeded + failed) of swupgrade.processor.settled over ${windowSize} exceeds ${failureRateThreshold} with at least ${failureRateMinSettled} settled sub-tasks.'
    severity: 2
    enabled: true
    scopes: [
      applicationInsights.id
    ]
    windowSize: windowSize
    evaluationFrequency: evaluationFrequency
    criteria: {
      allOf: [
        {
          query: format(query, failureRateMinSettled)
          timeAggregation: 'Maximum'
          metricMeasureColumn: 'failureRate'
          operator: 'GreaterThan'
          threshold: json(failureRateThreshold)
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: notify ? [actionGroup.id] : []
    }
  }
}

output ruleName string = failureRateRule.name
