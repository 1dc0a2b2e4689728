QA output created by 011
create: ok
accounting: not shown
first record is unmount: yes
running follows: yes
lost record seen: no
shutdown record seen: no
lost records count every lost event: no
end of file
accounting: not shown
