//! Entry point: the command line does the rest.
fn main() -> std::process::ExitCode {
    esim_courier::cli::main()
}
