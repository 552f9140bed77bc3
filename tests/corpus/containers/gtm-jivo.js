// A Google Tag Manager container (shape only, ids made up): a measurement tag and a "Custom
// HTML" tag whose markup, escaped as GTM writes it, adds jivo's loader.
var data = {"resource":{"version":"7","tags":[
{"function":"__googtag","vtp_tagId":"G-TEST0001","tag_id":1},
{"function":"__html","vtp_html":"\u003Cscript type=\"text\/gtmscript\"\u003E(function(){var s=document.createElement(\"script\");s.async=!0;s.src=\"\/\/code.jivo.ru\/widget\/Ab12Cd34\";document.body.appendChild(s)})();\u003C\/script\u003E","tag_id":2}
]}};
