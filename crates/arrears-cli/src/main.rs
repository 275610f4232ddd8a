//! The `arrears` program: parses the command line and hands over to the library.

fn main() -> std::process::ExitCode {
    arrears_cli::main()
}
