//! Lifecycle payloads as they arrive (arbitrary bytes), then their validation, and tenant
//! baseUrls: a value or a typed error.
#![no_main]

use connect_runtime::ConnectConfig;
use connect_runtime::config::HostRule;
use connect_runtime::__private::{LifecycleEvent, payload};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let config = ConnectConfig::new("https://app.example.com".parse().expect("url"));
    if let Ok(parsed) = payload::parse(data) {
        for event in [
            LifecycleEvent::Installed,
            LifecycleEvent::Uninstalled,
            LifecycleEvent::Enabled,
        ] {
            let _ = parsed.payload.validate(event, "com.example.app", &config);
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let allowed = [HostRule::Suffix(".atlassian.net".into())];
        if let Ok(url) = payload::validate_tenant_base_url(text, &allowed) {
            assert_eq!(
                url.as_str().trim_end_matches('/'),
                text.trim_end_matches('/')
            );
        }
    }
});
