//! The `kata-cloud` binary: parse arguments, set up logging, and open the window or run a headless command.

use std::process::ExitCode;

use kata_cloud::cli::{self, Parsed};

fn main() -> ExitCode {
    kata_cloud::diagnostics::install_panic_hook();
    kata_cloud::diagnostics::init_logging(kata_cloud::gui::QUIET_LOG_TARGETS);
    kata_cloud::provider::install_crypto_provider();
    let code = match cli::parse(std::env::args_os()) {
        Ok(Parsed::Done(code)) => code,
        Ok(Parsed::Headless { ctx, command }) => cli::run_headless(&ctx, command),
        Ok(Parsed::Gui { ctx, args }) => {
            let options = kata_cloud::gui::WindowOptions {
                exit_after_frames: args.exit_after_frames,
                screenshot: args.screenshot,
            };
            match kata_cloud::gui::run(ctx.config(), &options) {
                Ok(code) => code,
                Err(e) => cli::report(&e.into()),
            }
        }
        Err(e) => cli::report(&e),
    };
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}
