package resolve

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fullstack-fn/function-fullstack/apis/v1alpha1"
)

// Progressive delivery: the strategy, canary steps and analysis of an
// XFullStackService, defaults applied.

// Delivery is a Delivery with every default applied.
type Delivery struct {
	Strategy string
	// Steps of a canary; empty for the other strategies.
	Steps []Step
	// AutoPromotion of a blueGreen preview.
	AutoPromotion bool
	// Analysis is nil when off.
	Analysis *Analysis
}

// UsesRollout says whether the service runs as an Argo Rollout.
func (d Delivery) UsesRollout() bool {
	return d.Strategy == StrategyCanary || d.Strategy == StrategyBlueGreen
}

// Step is one canary step: exactly one of SetWeight, Pause and Analysis is
// set.
type Step struct {
	SetWeight *int32
	// Pause is set for a pause step; its Duration is empty for a pause that
	// waits to be promoted.
	Pause    *Pause
	Analysis bool
}

// Pause holds a canary for Duration, or until promoted when it is empty.
type Pause struct {
	Duration string
}

// Analysis is an Analysis with every default applied.
type Analysis struct {
	SuccessRate       float64
	PrometheusAddress string
	// Query is empty for the built-in success-rate query.
	Query        string
	Interval     string
	Count        int32
	FailureLimit int32
}

func resolveDelivery(path *field.Path, in v1alpha1.Delivery, profile Profile, p Platform, ing Ingress) (Delivery, field.ErrorList) {
	var errs field.ErrorList
	out := Delivery{Strategy: orDefault(in.Strategy, profile.Strategy)}
	if e := oneOf(path.Child("strategy"), out.Strategy, strategies); len(e) > 0 {
		return out, e
	}
	strategyOnly := func(f *field.Path, strategy string) *field.Error {
		return field.Forbidden(f, fmt.Sprintf("only used with spec.delivery.strategy %s; the strategy is %s", strategy, out.Strategy))
	}
	if len(in.Steps) > 0 && out.Strategy != StrategyCanary {
		errs = append(errs, strategyOnly(path.Child("steps"), StrategyCanary))
	}
	errs = append(errs, oneOf(path.Child("promotion"), orDefault(in.Promotion, v1alpha1.SwitchDefault), promotions)...)
	promotion := in.Promotion
	if promotion == v1alpha1.SwitchDefault {
		promotion = ""
	}
	switch {
	case promotion != "" && out.Strategy != StrategyBlueGreen:
		errs = append(errs, strategyOnly(path.Child("promotion"), StrategyBlueGreen))
	}
	out.AutoPromotion = defaultAutoPromotion
	if promotion != "" {
		out.AutoPromotion = promotion == promotionAutomatic
	}

	stepAnalysis := false
	for _, s := range in.Steps {
		stepAnalysis = stepAnalysis || (s.Analysis != nil && *s.Analysis)
	}
	ap := path.Child("analysis")
	errs = append(errs, validateSwitch(ap.Child("mode"), in.Analysis.Mode)...)
	enabled, explicit := switchOf(in.Analysis.Mode, profile.Analysis || stepAnalysis)
	if explicit && enabled && !out.UsesRollout() {
		errs = append(errs, field.Forbidden(ap.Child("mode"),
			"an analysis gates a canary or blueGreen promotion; spec.delivery.strategy is rollingUpdate"))
	}
	if !out.UsesRollout() {
		enabled = false
	}
	// A blueGreen preview receives no ingress traffic, so the default
	// query, which measures ingress traffic, could only ever pass: there is
	// no default analysis for it.
	if enabled && out.Strategy == StrategyBlueGreen && strings.TrimSpace(in.Analysis.Query) == "" {
		if explicit {
			errs = append(errs, field.Required(ap.Child("query"),
				"a blueGreen preview receives no ingress traffic, so there is no default query; set a PromQL query that measures the preview "+
					"(such as your smoke tests' success rate), or set spec.delivery.analysis.mode to Disabled"))
		}
		enabled = false
	}
	// The default query reads ingress-nginx's canary label, which only
	// nginx traffic routing fills: without it every measurement is empty,
	// and each release pauses or aborts on the analysis.
	if enabled && out.Strategy == StrategyCanary && strings.TrimSpace(in.Analysis.Query) == "" && !ing.NginxRouting() {
		if explicit || stepAnalysis {
			why := "spec.ingress.enabled is false"
			if ing.Enabled {
				why = fmt.Sprintf("spec.ingress.className is %q, not %q", ing.ClassName, nginxClass)
			}
			errs = append(errs, field.Required(ap.Child("query"), fmt.Sprintf(
				"the default query measures ingress-nginx's canary traffic, and this canary has no ingress-nginx traffic routing (%s), "+
					"so every measurement would be empty and each release would stop on its analysis; set a PromQL query that measures "+
					"the canary's pods (such as their request success rate by rollouts_pod_template_hash), or set spec.delivery.analysis.mode to Disabled", why)))
		}
		enabled = false
	}
	if enabled {
		a, aerrs := resolveAnalysis(ap, in.Analysis, p)
		out.Analysis = &a
		errs = append(errs, aerrs...)
	}

	if out.Strategy == StrategyCanary {
		off := ""
		if out.Analysis == nil {
			off = switchedOff(ap)
		}
		steps, serrs := resolveSteps(path.Child("steps"), in.Steps, off)
		out.Steps = steps
		errs = append(errs, serrs...)
	}
	return out, errs
}

// resolveSteps validates a canary's steps, or returns the default ones.
// analysisOff says why an analysis step is refused, or is empty when the
// analysis is on.
func resolveSteps(path *field.Path, in []v1alpha1.CanaryStep, analysisOff string) ([]Step, field.ErrorList) {
	if len(in) == 0 {
		return defaultSteps(analysisOff == ""), nil
	}
	var errs field.ErrorList
	out := make([]Step, 0, len(in))
	last, lastIndex := int64(-1), -1
	for i, s := range in {
		sp := path.Index(i)
		set := 0
		if s.SetWeight != nil {
			set++
		}
		if s.Pause != "" {
			set++
		}
		if s.Analysis != nil && *s.Analysis {
			set++
		}
		if set != 1 {
			errs = append(errs, field.Invalid(sp, fmt.Sprintf("%d fields set", set), "a step sets exactly one of setWeight, pause, analysis: true"))
			continue
		}
		switch {
		case s.SetWeight != nil:
			w := *s.SetWeight
			wp := sp.Child("setWeight")
			switch {
			case w < 0 || w > 100:
				errs = append(errs, field.Invalid(wp, w, "must be between 0 and 100, inclusive"))
			case w <= last:
				errs = append(errs, field.Invalid(wp, w, fmt.Sprintf("must be greater than the previous weight %d (%s); weights only increase",
					last, path.Index(lastIndex).Child("setWeight"))))
			}
			if w >= 0 && w <= 100 {
				last, lastIndex = w, i
			}
			out = append(out, Step{SetWeight: i32(w)})
		case s.Pause == pauseUntilPromoted:
			out = append(out, Step{Pause: &Pause{}})
		case s.Pause != "":
			if !durationRE.MatchString(s.Pause) {
				errs = append(errs, field.Invalid(sp.Child("pause"), s.Pause,
					"must be a whole number of seconds, minutes or hours such as 30s, 5m or 1h, or "+pauseUntilPromoted))
			}
			out = append(out, Step{Pause: &Pause{Duration: s.Pause}})
		default:
			if analysisOff != "" {
				errs = append(errs, field.Forbidden(sp.Child("analysis"), analysisOff))
			}
			out = append(out, Step{Analysis: true})
		}
	}
	return out, errs
}

// defaultSteps is the canary a service gets when its spec lists no steps:
// 10% of the traffic, a pause, the analysis (when on), 50%, a pause, 100%.
func defaultSteps(analysis bool) []Step {
	var out []Step
	for i, w := range defaultCanaryWeights {
		out = append(out, Step{SetWeight: i32(w)})
		if i == len(defaultCanaryWeights)-1 {
			break
		}
		out = append(out, Step{Pause: &Pause{Duration: defaultPause}})
		if i == 0 && analysis {
			out = append(out, Step{Analysis: true})
		}
	}
	return out
}

func resolveAnalysis(path *field.Path, in v1alpha1.Analysis, p Platform) (Analysis, field.ErrorList) {
	var errs field.ErrorList
	out := Analysis{
		SuccessRate:       defaultSuccessRate,
		PrometheusAddress: orDefault(in.PrometheusAddress, p.PrometheusAddress),
		Query:             in.Query,
		Interval:          orDefault(in.Interval, defaultAnalysisWindow),
		Count:             defaultAnalysisCount,
		FailureLimit:      defaultFailureLimit,
	}
	if in.SuccessRate != nil {
		out.SuccessRate = *in.SuccessRate
		if out.SuccessRate <= 0 || out.SuccessRate > 1 {
			errs = append(errs, field.Invalid(path.Child("successRate"), strconv.FormatFloat(out.SuccessRate, 'f', -1, 64),
				"must be a share of successful requests greater than 0 and at most 1, such as 0.99"))
		}
	}
	switch a := out.PrometheusAddress; a {
	case "":
		errs = append(errs, field.Required(path.Child("prometheusAddress"),
			"the Prometheus the analysis queries, such as http://prometheus.monitoring:9090; "+platformSettings+" set no default (prometheusAddress)"))
	default:
		if !isHTTPURL(a) {
			errs = append(errs, field.Invalid(path.Child("prometheusAddress"), a, "must be an http or https URL such as http://prometheus.monitoring:9090"))
		}
	}
	if !durationRE.MatchString(out.Interval) {
		errs = append(errs, field.Invalid(path.Child("interval"), out.Interval, "must be a whole number of seconds, minutes or hours such as 30s, 1m or 1h"))
	}
	if in.Count != nil {
		if *in.Count < 1 || *in.Count > 100 {
			errs = append(errs, field.Invalid(path.Child("count"), *in.Count, "must be between 1 and 100, inclusive"))
		} else {
			out.Count = int32(*in.Count)
		}
	}
	if in.FailureLimit != nil {
		if *in.FailureLimit < 0 || *in.FailureLimit > 100 {
			errs = append(errs, field.Invalid(path.Child("failureLimit"), *in.FailureLimit, "must be between 0 and 100, inclusive"))
		} else {
			out.FailureLimit = int32(*in.FailureLimit)
		}
	}
	if out.FailureLimit >= out.Count {
		errs = append(errs, field.Invalid(path.Child("failureLimit"), out.FailureLimit,
			fmt.Sprintf("must be less than spec.delivery.analysis.count (%d), or the analysis can never fail", out.Count)))
	}
	return out, errs
}

// isHTTPURL says whether s is an absolute http or https URL with a host,
// such as a Prometheus address.
func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
