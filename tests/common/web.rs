//! Reaching `shopaudit serve` as a browser would: a cookie jar, no redirects followed, and
//! the sign-in form with its CSRF token.

/// A client that keeps cookies and shows redirects as they are.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// Signs in at `url` with `password` through the form.
pub async fn sign_in(c: &reqwest::Client, url: &str, password: &str) -> reqwest::Response {
    let page = c.get(format!("{url}/login")).send().await.unwrap().text().await.unwrap();
    let at = page.find("name=\"csrf\" value=\"").unwrap() + "name=\"csrf\" value=\"".len();
    let csrf = page[at..].split('"').next().unwrap().to_string();
    c.post(format!("{url}/login")).form(&[("password", password), ("csrf", &csrf)]).send().await.unwrap()
}
