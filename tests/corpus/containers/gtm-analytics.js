// A container of analytics tags only; one event is named after the chat button it counts.
var data = {"resource":{"version":"2","tags":[
{"function":"__googtag","vtp_tagId":"G-TEST0002","tag_id":1},
{"function":"__gaawe","vtp_eventName":"chat_widget_open","vtp_measurementIdOverride":"G-TEST0002","tag_id":2},
{"function":"__gaawe","vtp_eventName":"livechat_click","tag_id":3}
]}};
