use atlassian_connect::prelude::*;

fn main() {
    // Scopes are an enum: a misspelled scope cannot reach the descriptor.
    let _ = App::new("com.example.scopes", "Scopes").scopes([Scope::Read, Scope::ActAsUsr]);
}
