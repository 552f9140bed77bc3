// A server-side Google Tag Manager container on the store's own host: tawk.to's snippet in a
// "Custom HTML" tag, escaped.
var data = {"resource":{"version":"3","tags":[
{"function":"__html","vtp_html":"\u003Cscript\u003Evar Tawk_API=Tawk_API||{},Tawk_LoadStart=new Date();(function(){var s1=document.createElement(\"script\");s1.src=\"https:\/\/embed.tawk.to\/000aaa\/default\";})();\u003C\/script\u003E","tag_id":4}
]}};
