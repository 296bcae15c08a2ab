//! Name filters as the Go exporters have them: an include and an exclude regular expression,
//! each matched against the whole name (RE2 syntax, which the `regex` crate shares with Go).

use regex::Regex;

/// Which names to keep: those the include pattern matches (all without one) and the exclude
/// pattern does not.
#[derive(Debug, Clone, Default)]
pub struct NameFilter {
    include: Option<Pattern>,
    exclude: Option<Pattern>,
}

#[derive(Debug, Clone)]
struct Pattern {
    source: String,
    regex: Regex,
}

impl NameFilter {
    /// `include` and `exclude` as given; a pattern that does not compile is an error naming
    /// the reason.
    pub fn new(include: Option<&str>, exclude: Option<&str>) -> Result<NameFilter, String> {
        Ok(NameFilter {
            include: include.map(Pattern::new).transpose()?,
            exclude: exclude.map(Pattern::new).transpose()?,
        })
    }

    pub fn keeps(&self, name: &str) -> bool {
        self.include.as_ref().is_none_or(|p| p.regex.is_match(name))
            && !self
                .exclude
                .as_ref()
                .is_some_and(|p| p.regex.is_match(name))
    }

    /// Whether it keeps everything.
    pub fn is_empty(&self) -> bool {
        self.include.is_none() && self.exclude.is_none()
    }

    pub fn include(&self) -> Option<&str> {
        self.include.as_ref().map(|p| p.source.as_str())
    }

    pub fn exclude(&self) -> Option<&str> {
        self.exclude.as_ref().map(|p| p.source.as_str())
    }
}

impl Pattern {
    fn new(source: &str) -> Result<Pattern, String> {
        // Anchored, as Go's exporters anchor theirs: `orders-.*` is a whole name.
        Regex::new(&format!("^(?:{source})$"))
            .map(|regex| Pattern {
                source: source.to_string(),
                regex,
            })
            .map_err(|e| {
                let why = e.to_string();
                let last = why.lines().last().unwrap_or("").trim().to_string();
                format!("\"{source}\" is not a regular expression ({last})")
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_names_included_then_excluded() {
        let f = NameFilter::new(Some("orders-.*|payments-.*"), Some(".*-test")).unwrap();
        assert!(f.keeps("orders-jdbc-source"));
        assert!(!f.keeps("orders-jdbc-test"));
        assert!(!f.keeps("my-orders-sink"), "anchored at the start");
        assert!(!f.keeps("audit-log-sink"));
        assert!(NameFilter::default().keeps("anything"));
        assert_eq!(
            NameFilter::new(Some("orders-("), None).unwrap_err(),
            "\"orders-(\" is not a regular expression (error: unclosed group)"
        );
    }
}
