// The query itself lives in xds/ (pure), where the bridge's query runner (gateway/analysis) uses it too.
export { queryPrometheus, queryUrl, readAnswer, type QueryResult, type QueryTarget } from '../../../xds/analysis/prometheus';
